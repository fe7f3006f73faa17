package procfs

import "testing"

func TestACommandLineMentionsADirectoryNotItsSiblings(t *testing.T) {
	cmdline := "/data/clusters/m10/bin/kube-apiserver\x00--etcd-servers=http://127.0.0.1:1\x00--data-dir=/data/clusters/m10"
	for dir, want := range map[string]bool{
		"/data/clusters/m10":  true,
		"/data/clusters/m10/": true,
		"/data/clusters/m1":   false,
		"/data/clusters":      true,
		"/data":               true,
		"/dat":                false,
	} {
		if got := mentions(cmdline, dir); got != want {
			t.Errorf("mentions(%q) = %v, want %v", dir, got, want)
		}
	}
}
