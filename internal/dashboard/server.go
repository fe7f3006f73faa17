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

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
	"github.com/navarkos/navarkos/internal/dns"
	"github.com/navarkos/navarkos/internal/planner"
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

// Options tune a dashboard.
type Options struct {
	// Namespaces are where to read the namespaced kinds the caller may not read in every
	// namespace: a user whose RBAC allows one namespace sees that namespace.
	Namespaces []string
	// DNSServer is the fleet's DNS server (host:port) that the global names page asks.
	DNSServer string
	// Geo maps client subnets to regions, so that the global names page can ask as a client
	// of a region.
	Geo *dns.GeoTable
	// HistoryFile keeps the cost and demand history and the planner's decisions across
	// restarts; empty keeps them in memory only.
	HistoryFile string
	// SampleEvery is how often the cost and demand are recorded; a minute unless set.
	SampleEvery time.Duration
	// Planner configures the planner whose decisions "what it would do now" shows.
	Planner planner.Config
	// Now is the clock; time.Now unless set.
	Now func() time.Time
}

// Server serves the dashboard: the UI embedded in the binary, and each page's view of the
// fleet as JSON and as server-sent events. It reads the fleet API with the credentials it is
// given, the caller's own, so that RBAC decides what each person sees; it has no credential
// of its own.
type Server struct {
	token string
	opts  Options
	// direct reads the fleet API without the cache: to learn what the caller may read, and
	// for reads too rare to watch.
	direct client.Reader
	cfg    *rest.Config
	scheme *runtime.Scheme
	cache  cache.Cache
	kinds  []kind
	scopes []readable
	// history is the cost, demand and decisions of the last day.
	history *history
	// plans computes "what the planner would do now" at most once per planEvery.
	plans planCache
	// simulating admits one simulation at a time.
	simulating chan struct{}
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
func New(cfg *rest.Config, scheme *runtime.Scheme, token string, opts Options) (*Server, error) {
	if len(token) < 16 {
		return nil, errors.New("the dashboard's token must be at least 16 characters")
	}
	if opts.SampleEvery <= 0 {
		opts.SampleEvery = time.Minute
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Planner == (planner.Config{}) {
		opts.Planner = planner.DefaultConfig()
	}
	direct, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		return nil, err
	}
	h, err := openHistory(opts.HistoryFile, opts.Now())
	if err != nil {
		return nil, err
	}
	return &Server{token: token, opts: opts, direct: direct, cfg: cfg, scheme: scheme, kinds: watchedKinds(), history: h,
		simulating: make(chan struct{}, 1), changed: make(chan struct{})}, nil
}

// watchedKinds are what the pages show. Events are only the planner's.
func watchedKinds() []kind {
	return []kind{
		{name: "clusters", obj: &n6sv1alpha1.Cluster{}, list: func() client.ObjectList { return &n6sv1alpha1.ClusterList{} }},
		{name: "clusterpools", obj: &n6sv1alpha1.ClusterPool{}, list: func() client.ObjectList { return &n6sv1alpha1.ClusterPoolList{} }},
		{name: "placements", obj: &n6sv1alpha1.Placement{}, list: func() client.ObjectList { return &n6sv1alpha1.PlacementList{} }, namespaced: true},
		{name: "clusterplacements", obj: &n6sv1alpha1.ClusterPlacement{}, list: func() client.ObjectList { return &n6sv1alpha1.ClusterPlacementList{} }},
		{name: "resourcebindings", obj: &n6sv1alpha1.ResourceBinding{}, list: func() client.ObjectList { return &n6sv1alpha1.ResourceBindingList{} }, namespaced: true},
		{name: "globalingresses", obj: &n6sv1alpha1.GlobalIngress{}, list: func() client.ObjectList { return &n6sv1alpha1.GlobalIngressList{} }, namespaced: true},
		{name: "events", obj: &corev1.Event{}, list: func() client.ObjectList { return &corev1.EventList{} }, namespaced: true,
			field: fields.OneTermEqualSelector("reportingComponent", n6sv1alpha1.PlannerComponent)},
	}
}

// Start learns what the caller may read, then watches it until ctx ends; it returns once
// the first view is read. A caller who may read none of the fleet is refused at once: a
// refused watch would retry for ever.
func (s *Server) Start(ctx context.Context) error {
	var readableKinds []kind
	var firstRefusal error
	for _, k := range s.kinds {
		r := probe(ctx, s.direct, k, s.opts.Namespaces)
		s.scopes = append(s.scopes, r)
		if r.refused == nil {
			readableKinds = append(readableKinds, k)
		} else if firstRefusal == nil {
			firstRefusal = r.refused
		}
	}
	if len(readableKinds) == 0 {
		return fmt.Errorf("the dashboard cannot read the fleet with this kubeconfig: %w", firstRefusal)
	}
	c, err := cache.New(s.cfg, cache.Options{Scheme: s.scheme, ByObject: cacheOptions(s.kinds, s.scopes), ReaderFailOnMissingInformer: true})
	if err != nil {
		return fmt.Errorf("failed to set up the dashboard's view of the fleet API: %w", err)
	}
	s.cache = c
	for _, k := range readableKinds {
		inf, err := s.cache.GetInformer(ctx, k.obj)
		if err != nil {
			return fmt.Errorf("failed to watch %s: %w", k.name, err)
		}
		handler := toolscache.ResourceEventHandlerFuncs{AddFunc: func(any) { s.notify() }, DeleteFunc: func(any) { s.notify() },
			UpdateFunc: func(_, o any) { s.notify() }}
		if k.name == "events" {
			handler.AddFunc = func(o any) { s.recordDecision(o); s.notify() }
			handler.UpdateFunc = func(_, o any) { s.recordDecision(o); s.notify() }
		}
		if _, err := inf.AddEventHandler(handler); err != nil {
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
	go s.sample(ctx)
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

// list reads a watched kind from the cache; a kind the caller may not read is empty.
func (s *Server) list(ctx context.Context, name string, list client.ObjectList) error {
	if s.denied(name) != nil {
		return nil
	}
	return s.cache.List(ctx, list)
}

// fleet reads the fleet from the watched view.
func (s *Server) fleet(ctx context.Context) (any, error) {
	if err := s.denied("clusters", "clusterpools"); err != nil {
		return nil, err
	}
	var pools n6sv1alpha1.ClusterPoolList
	var clusters n6sv1alpha1.ClusterList
	if err := s.list(ctx, "clusterpools", &pools); err != nil {
		return nil, err
	}
	if err := s.list(ctx, "clusters", &clusters); err != nil {
		return nil, err
	}
	return fleetOf(pools.Items, clusters.Items), nil
}

// view is what one page shows, read afresh.
type view struct {
	read func(ctx context.Context) (any, error)
	// every, when set, reads the view again this often even if nothing changed.
	every time.Duration
}

func (s *Server) views() map[string]view {
	return map[string]view{
		"fleet":     {read: s.fleet},
		"history":   {read: s.historyView, every: s.opts.SampleEvery},
		"planner":   {read: s.plannerView, every: planEvery},
		"workloads": {read: s.workloads},
		"names":     {read: s.names},
	}
}

// Handler serves the UI and the API behind the token.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	static, _ := fs.Sub(web, "web")
	mux.Handle("GET /", http.FileServerFS(static))
	// A browser asks for it on any page, such as a member's object in plain text.
	mux.HandleFunc("GET /favicon.ico", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })
	for name, v := range s.views() {
		mux.HandleFunc("GET /api/"+name, func(w http.ResponseWriter, r *http.Request) { s.serveView(w, r, v) })
	}
	mux.HandleFunc("GET /api/events", s.serveEvents)
	mux.HandleFunc("GET /api/dns", s.serveDNS)
	mux.HandleFunc("GET /api/member", s.serveMember)
	mux.HandleFunc("GET /api/simulator", s.serveSimulatorChoices)
	mux.HandleFunc("POST /api/simulate", s.serveSimulate)
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
		// A change is made only from the dashboard's own page: a form of another site posts
		// with its own Origin.
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			if o := r.Header.Get("Origin"); o != "" && o != "http://"+r.Host {
				http.Error(w, "the dashboard takes changes only from its own pages", http.StatusForbidden)
				return
			}
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

func (s *Server) serveView(w http.ResponseWriter, r *http.Request, v view) {
	data, err := v.read(r.Context())
	if err != nil {
		status := http.StatusBadGateway
		if errors.Is(err, errNotReadable) {
			status = http.StatusForbidden
		}
		http.Error(w, err.Error(), status)
		return
	}
	writeJSON(w, data)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// serveEvents streams one page's view (?view=fleet, history, planner, workloads or names):
// at once, then after every change, never the same twice.
func (s *Server) serveEvents(w http.ResponseWriter, r *http.Request) {
	name := r.URL.Query().Get("view")
	if name == "" {
		name = "fleet"
	}
	v, ok := s.views()[name]
	if !ok {
		http.Error(w, fmt.Sprintf("no view %q", name), http.StatusNotFound)
		return
	}
	flusher, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "streaming is not supported", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	ctx := r.Context()
	var last []byte
	send := func() {
		data, err := v.read(ctx)
		if err != nil {
			msg, _ := json.Marshal(err.Error())
			fmt.Fprintf(w, "event: failure\ndata: %s\n\n", msg)
			last = nil
		} else if data, _ := json.Marshal(data); !bytes.Equal(data, last) {
			fmt.Fprintf(w, "event: %s\ndata: %s\n\n", name, data)
			last = data
		}
		flusher.Flush()
	}
	// Taken before the read, so that a change during it is not missed.
	changed := s.changes()
	send()
	alive := time.NewTicker(heartbeat)
	defer alive.Stop()
	var again <-chan time.Time
	if v.every > 0 {
		t := time.NewTicker(v.every)
		defer t.Stop()
		again = t.C
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-alive.C:
			fmt.Fprint(w, ": still here\n\n")
			flusher.Flush()
		case <-again:
			changed = s.changes()
			send()
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
func Listen(ctx context.Context, cfg *rest.Config, scheme *runtime.Scheme, addr string, opts Options) (url string, done <-chan error, err error) {
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
	s, err := New(cfg, scheme, token, opts)
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
		s.history.close()
		return "", nil, err
	}
	srv := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second, BaseContext: func(net.Listener) context.Context { return ctx }}
	errs := make(chan error, 1)
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
		s.history.close()
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
