package testenv

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Browser opens a headless Chromium (Debian's) for the test, closed when it ends, and
// returns it with a function that lists what its pages logged as errors and the exceptions
// they threw.
func Browser(t *testing.T) (context.Context, func() []string) {
	t.Helper()
	ctx, stop, problems, err := StartBrowser(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	return ctx, problems
}

// StartBrowser opens a headless Chromium (Debian's) with its profile in dir; stop closes it.
// problems lists what its pages logged as errors and the exceptions they threw.
func StartBrowser(dir string) (ctx context.Context, stop func(), problems func() []string, err error) {
	path, err := exec.LookPath("chromium")
	if err != nil {
		return nil, nil, nil, errors.New("debian's Chromium is needed for the dashboard's browser tests: apt-get install chromium (.ci/run does)")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.UserDataDir(dir),
		chromedp.WindowSize(1280, 900))
	if os.Geteuid() == 0 {
		opts = append(opts, chromedp.NoSandbox) // Chromium refuses to run its sandbox as root
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(alloc)
	stop = func() { cancel(); cancelAlloc() }
	if err := chromedp.Do(ctx); err != nil {
		stop()
		return nil, nil, nil, fmt.Errorf("chromium did not start: %w", err)
	}
	var mu sync.Mutex
	var logged []string
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleError || m.IsException() {
				mu.Lock()
				logged = append(logged, m.String())
				mu.Unlock()
			}
		}
	}()
	problems = func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), logged...)
	}
	return context.WithValue(ctx, problemsKey{}, problems), stop, problems, nil
}

type problemsKey struct{}

// pageProblems are the errors the page of ctx logged so far, for a failure's message.
func pageProblems(ctx context.Context) string {
	read, ok := ctx.Value(problemsKey{}).(func() []string)
	if !ok || len(read()) == 0 {
		return ""
	}
	return "; the page logged:\n" + strings.Join(read(), "\n")
}

// Within runs a browser action with a deadline, failing with what was awaited and what
// the page logged.
func Within[T any](t *testing.T, ctx context.Context, d time.Duration, what string, action chromedp.Action[T]) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	v, err := chromedp.Run(ctx, action)
	if err != nil {
		t.Fatalf("waiting %s for %s: %v%s", d, what, err, pageProblems(ctx))
	}
	return v
}
