package kubeconfig

import (
	"strings"
	"testing"

	"k8s.io/client-go/rest"
)

const inline = `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:6443", certificate-authority-data: "` + "Y2E=" + `"}}]
users: [{name: u, user: {token: secret-token}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
current-context: x
`

func TestPolicy(t *testing.T) {
	tests := []struct {
		name    string
		user    string
		cluster string
		refused string
	}{
		{"inline token", `{token: t}`, `{server: "https://127.0.0.1:6443"}`, ""},
		{"exec plugin", `{exec: {apiVersion: client.authentication.k8s.io/v1, command: /bin/sh, args: [-c, "touch /tmp/pwned"]}}`, `{server: "https://h"}`, `user "u" runs the command "/bin/sh" (exec)`},
		{"auth provider", `{auth-provider: {name: oidc}}`, `{server: "https://h"}`, `user "u" uses the auth-provider plugin "oidc"`},
		{"token file", `{tokenFile: /var/run/secrets/kubernetes.io/serviceaccount/token}`, `{server: "https://h"}`, `user "u" reads tokenFile from a file`},
		{"client certificate file", `{client-certificate: /etc/navarkos/admin.crt, client-key: /etc/navarkos/admin.key}`, `{server: "https://h"}`, `user "u" reads client-certificate from a file`},
		{"certificate authority file", `{token: t}`, `{server: "https://h", certificate-authority: /etc/shadow}`, `cluster "c" reads certificate-authority from a file`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			data := []byte(strings.NewReplacer(`{token: secret-token}`, tc.user, `{server: "https://127.0.0.1:6443", certificate-authority-data: "Y2E="}`, tc.cluster).Replace(inline))
			_, err := Policy{}.RESTConfig(data)
			if tc.refused == "" {
				if err != nil {
					t.Fatalf("refused an inline kubeconfig: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.refused) || !strings.Contains(err.Error(), "--allow-kubeconfig-plugins") {
				t.Fatalf("got %v, want a refusal naming %q and the flag", err, tc.refused)
			}
			// The explicit policy passes it on to client-go, which may then fail on the
			// missing file or plugin setting, but not with the refusal.
			if _, err := (Policy{AllowPluginsAndFiles: true}).RESTConfig(data); err != nil && strings.Contains(err.Error(), "is refused") {
				t.Fatalf("the explicit policy must not refuse it: %v", err)
			}
		})
	}
	if _, err := (Policy{}).RESTConfig([]byte("\x00not: [yaml")); err == nil || !strings.Contains(err.Error(), "not a usable kubeconfig") {
		t.Fatalf("garbage: got %v", err)
	}
}

func TestOnlyLoopbackServersAreAskedForUncompressedAnswers(t *testing.T) {
	for host, want := range map[string]bool{
		"https://127.0.0.1:6443":         true,
		"https://127.1.0.9:32767":        true,
		"https://[::1]:6443":             true,
		"https://localhost:6443":         true,
		"https://10.0.0.1:6443":          false,
		"https://api.example.com":        false,
		"https://127.0.0.1.example.com/": false,
	} {
		cfg := &rest.Config{Host: host}
		SkipCompressionOnLoopback(cfg)
		if cfg.DisableCompression != want {
			t.Errorf("%s: compression disabled %v, want %v", host, cfg.DisableCompression, want)
		}
	}
}
