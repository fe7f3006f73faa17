package procfs

import (
	"os"
	"testing"
)

func TestRSSOf(t *testing.T) {
	if rss := RSSOf(os.Getpid()); rss < 1<<20 {
		t.Errorf("RSS of the test process = %d bytes, want at least 1 MiB", rss)
	}
	if rss := RSSOf(-1); rss != 0 {
		t.Errorf("RSS of no process = %d, want 0", rss)
	}
}
