package localfleet

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestLock(t *testing.T) {
	f := Fleet{DataDir: t.TempDir()}
	unlock, err := f.Lock()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Lock(); err == nil || !strings.Contains(err.Error(), "another navarkos") {
		t.Fatalf("a second lock: %v, want it refused while the first is held", err)
	}
	unlock()
	if matches, _ := filepath.Glob(filepath.Join(f.DataDir, "*.lock")); len(matches) != 0 {
		t.Fatalf("lock files left after unlock: %v", matches)
	}
	unlock, err = f.Lock()
	if err != nil {
		t.Fatalf("locking again after unlock: %v", err)
	}
	unlock()
}
