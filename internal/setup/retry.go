package setup

import (
	"context"
	"errors"
	"net"
	"time"

	"github.com/go-logr/logr"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
)

// RetryWhile runs f until it succeeds, fails for a reason wait does not accept, or ctx ends,
// waiting from half a second up to ten seconds between tries and logging each wait.
func RetryWhile(ctx context.Context, log logr.Logger, what string, wait func(error) bool, f func() error) error {
	delay := 500 * time.Millisecond
	for {
		err := f()
		if err == nil || !wait(err) {
			return err
		}
		log.Info(what, "error", err.Error(), "retryIn", delay.String())
		select {
		case <-ctx.Done():
			return err
		case <-time.After(delay):
		}
		delay = min(2*delay, 10*time.Second)
	}
}

// Unreachable says whether an error means the API server could not be reached or is not
// serving yet, rather than that it refused a request.
func Unreachable(err error) bool {
	var netErr net.Error // includes *url.Error: every failed HTTP exchange
	return errors.As(err, &netErr) || apierrors.IsServiceUnavailable(err) || apierrors.IsTimeout(err) ||
		apierrors.IsServerTimeout(err) || apierrors.IsTooManyRequests(err) || apierrors.IsInternalError(err)
}

// NotSetUpYet says whether an error means the fleet API answers but what another component
// installs there (CRDs, RBAC) is not in place yet.
func NotSetUpYet(err error) bool {
	return Unreachable(err) || apierrors.IsForbidden(err) || apierrors.IsNotFound(err) || meta.IsNoMatchError(err)
}
