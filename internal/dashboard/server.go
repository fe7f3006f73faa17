package dashboard

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
)

//go:embed web
var web embed.FS

// cookieName carries the token once the tokenised URL was opened.
const cookieName = "navarkos-dashboard"

// coalesce is how long the server waits after a change for more before it sends the fleet
// again: a burst of status updates becomes one message.
const coalesce = 100 * time.Millisecond

// heartbeat keeps an idle event stream open through proxies and tells a closed one apart.
const heartbeat = 15 * time.Second

// Server serves the dashboard: the UI embedded in the binary, and the fleet as JSON and as
// server-sent events. It reads the fleet API with the credentials it is given, the caller's
// own, so that RBAC decides what each person sees; it has no credential of its own.
type Server struct {
	token string
	// direct reads the fleet API without the cache, to say at once why a watch cannot start.
	direct client.Reader
	cache  cache.Cache
	// changed is closed and replaced on every change of a watched kind.
	mu      sync.Mutex
	changed chan struct{}
}

// NewToken is a random token for the dashboard's URL.
func NewToken() (string, error) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

// New returns a dashboard of the fleet API that cfg reaches, opened with token.
func New(cfg *rest.Config, scheme *runtime.Scheme, token string) (*Server, error) {
	if len(token) < 16 {
		return nil, errors.New("the dashboard's token must be at least 16 characters")
	}
	c, err := cache.New(cfg, cache.Options{Scheme: scheme})
	if err != nil {
		return nil, fmt.Errorf("failed to set up the dashboard's view of the fleet API: %w", err)
	}
	direct, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		return nil, err
	}
	return &Server{token: token, direct: direct, cache: c, changed: make(chan struct{})}, nil
}

// Start watches the fleet API until ctx ends; it returns once the first view is read.
func (s *Server) Start(ctx context.Context) error {
	// A watch that is refused retries for ever: list once first, so that a kubeconfig that may
	// not read the fleet is told so at once.
	for _, list := range []client.ObjectList{&n6sv1alpha1.ClusterList{}, &n6sv1alpha1.ClusterPoolList{}} {
		if err := s.direct.List(ctx, list, client.Limit(1)); err != nil {
			return fmt.Errorf("the dashboard cannot read the fleet with this kubeconfig: %w", err)
		}
	}
	for _, obj := range []client.Object{&n6sv1alpha1.Cluster{}, &n6sv1alpha1.ClusterPool{}} {
		inf, err := s.cache.GetInformer(ctx, obj)
		if err != nil {
			return fmt.Errorf("failed to watch %T: %w", obj, err)
		}
		notify := func(any) { s.notify() }
		if _, err := inf.AddEventHandler(toolscache.ResourceEventHandlerFuncs{AddFunc: notify, DeleteFunc: notify,
			UpdateFunc: func(_, o any) { s.notify() }}); err != nil {
			return err
		}
	}
	errs := make(chan error, 1)
	go func() { errs <- s.cache.Start(ctx) }()
	if !s.cache.WaitForCacheSync(ctx) {
		select {
		case err := <-errs:
			return fmt.Errorf("the dashboard could not read the fleet API: %w", err)
		default:
			return errors.New("the dashboard could not read the fleet API")
		}
	}
	return nil
}

func (s *Server) notify() {
	s.mu.Lock()
	defer s.mu.Unlock()
	close(s.changed)
	s.changed = make(chan struct{})
}

// changes is closed at the next change.
func (s *Server) changes() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.changed
}

// fleet reads the fleet from the watched view.
func (s *Server) fleet(ctx context.Context) (Fleet, error) {
	var pools n6sv1alpha1.ClusterPoolList
	var clusters n6sv1alpha1.ClusterList
	if err := s.cache.List(ctx, &pools); err != nil {
		return Fleet{}, err
	}
	if err := s.cache.List(ctx, &clusters); err != nil {
		return Fleet{}, err
	}
	return fleetOf(pools.Items, clusters.Items), nil
}

// Handler serves the UI and the API behind the token.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	static, _ := fs.Sub(web, "web")
	mux.Handle("GET /", http.FileServerFS(static))
	mux.HandleFunc("GET /api/fleet", s.serveFleet)
	mux.HandleFunc("GET /api/events", s.serveEvents)
	return s.guard(mux)
}

// guard lets through only requests to a loopback host name (a page of another site cannot
// reach the dashboard through a DNS name that resolves to loopback) that carry the token:
// in the URL once, which sets a cookie and reloads the page without it, then in the cookie or
// an Authorization header.
func (s *Server) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-store")
		if !loopbackHost(r.Host) {
			http.Error(w, "the dashboard answers only at 127.0.0.1, [::1] or localhost", http.StatusForbidden)
			return
		}
		if t := r.URL.Query().Get("token"); t != "" {
			if !s.valid(t) {
				http.Error(w, "wrong token: open the URL that navarkos printed", http.StatusForbidden)
				return
			}
			http.SetCookie(w, &http.Cookie{Name: cookieName, Value: t, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode})
			clean := *r.URL
			q := clean.Query()
			q.Del("token")
			clean.RawQuery = q.Encode()
			http.Redirect(w, r, clean.RequestURI(), http.StatusSeeOther)
			return
		}
		if c, err := r.Cookie(cookieName); err == nil && s.valid(c.Value) {
			next.ServeHTTP(w, r)
			return
		}
		if t, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok && s.valid(t) {
			next.ServeHTTP(w, r)
			return
		}
		http.Error(w, "no token: open the URL with its token that navarkos printed", http.StatusUnauthorized)
	})
}

func (s *Server) valid(token string) bool {
	return subtle.ConstantTimeCompare([]byte(token), []byte(s.token)) == 1
}

func loopbackHost(hostport string) bool {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		host = hostport
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (s *Server) serveFleet(w http.ResponseWriter, r *http.Request) {
	f, err := s.fleet(r.Context())
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(f)
}

// serveEvents streams the fleet: once at once, then after every change, never the same twice.
func (s *Server) serveEvents(w http.ResponseWriter, r *http.Request) {
	flusher, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "streaming is not supported", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	ctx := r.Context()
	var last []byte
	send := func() {
		f, err := s.fleet(ctx)
		if err != nil {
			msg, _ := json.Marshal(err.Error())
			fmt.Fprintf(w, "event: failure\ndata: %s\n\n", msg)
		} else if data, _ := json.Marshal(f); !bytes.Equal(data, last) {
			fmt.Fprintf(w, "event: fleet\ndata: %s\n\n", data)
			last = data
		}
		flusher.Flush()
	}
	// Taken before the read, so that a change during it is not missed.
	changed := s.changes()
	send()
	alive := time.NewTicker(heartbeat)
	defer alive.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-alive.C:
			fmt.Fprint(w, ": still here\n\n")
			flusher.Flush()
		case <-changed:
			select {
			case <-ctx.Done():
				return
			case <-time.After(coalesce):
			}
			changed = s.changes()
			send()
		}
	}
}

// Listen starts a dashboard of the fleet API that cfg reaches on addr, a loopback address
// (port 0 picks a free one), with a new token. It returns the URL to open, token included,
// and serves until ctx ends; done then yields why it stopped.
func Listen(ctx context.Context, cfg *rest.Config, scheme *runtime.Scheme, addr string) (url string, done <-chan error, err error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return "", nil, fmt.Errorf("dashboard address %q: %w", addr, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return "", nil, fmt.Errorf("dashboard address %q: the dashboard serves the fleet with your credentials, so only on a loopback address such as 127.0.0.1", addr)
	}
	token, err := NewToken()
	if err != nil {
		return "", nil, err
	}
	s, err := New(cfg, scheme, token)
	if err != nil {
		return "", nil, err
	}
	// Listen before the watches start, so that a taken port leaves no watch running.
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return "", nil, fmt.Errorf("the dashboard cannot listen on %s: %w", addr, err)
	}
	if err := s.Start(ctx); err != nil {
		_ = l.Close()
		return "", nil, err
	}
	srv := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second, BaseContext: func(net.Listener) context.Context { return ctx }}
	errs := make(chan error, 1)
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	go func() {
		if err := srv.Serve(l); !errors.Is(err, http.ErrServerClosed) {
			errs <- err
			return
		}
		errs <- nil
	}()
	return fmt.Sprintf("http://%s/?token=%s", l.Addr(), token), errs, nil
}
