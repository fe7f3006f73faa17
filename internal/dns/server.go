package dns

import (
	"cmp"
	"context"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	mdns "github.com/miekg/dns"
)

const (
	// defaultMaxTCPConns caps the open TCP connections when MaxTCPConns is 0.
	defaultMaxTCPConns = 128
	// defaultMaxTCPConnsPerNetwork caps the open TCP connections of one client network when
	// MaxTCPConnsPerNetwork is 0: an eighth of the total, so that one client takes at most that.
	defaultMaxTCPConnsPerNetwork = 16
	// tcpNetworkBitsV4 and tcpNetworkBitsV6 group TCP clients into networks.
	tcpNetworkBitsV4, tcpNetworkBitsV6 = 24, 56
	// tcpIdleTimeout closes a TCP connection that sends no query for that long.
	tcpIdleTimeout = 10 * time.Second
	// tcpWriteTimeout bounds each write to a TCP client, so a client that stops reading
	// cannot hold a transfer or a handler.
	tcpWriteTimeout = 5 * time.Second
)

// ednsSize is the UDP payload size the server offers and caps answers at (DNS flag day 2020).
const ednsSize = 1232

// Server is an authoritative DNS server for the fleet's zones, on UDP and TCP.
type Server struct {
	// Addr is the host:port to listen on, e.g. 127.0.0.1:5353.
	Addr string
	// RateLimit limits identical UDP responses per client network; nil turns it off.
	RateLimit *RateLimiter
	// TransferFrom lists the networks allowed to AXFR; loopback only when empty.
	TransferFrom []netip.Prefix
	// NotifyTo lists secondaries (host:port) told by NOTIFY (RFC 1996) when a zone's serial
	// changes, so that they transfer it again at once.
	NotifyTo []string
	// MaxTCPConns caps the open TCP connections; more are closed at once. 0 means 128.
	MaxTCPConns int
	// MaxTCPConnsPerNetwork caps the open TCP connections from one client network (a /24 or
	// a /56), so that one client cannot take every slot; 0 means 16.
	MaxTCPConnsPerNetwork int

	zones  atomic.Pointer[map[string]*Zone]
	geo    atomic.Pointer[GeoTable]
	draws  atomic.Uint64
	mu     sync.Mutex
	udp    *mdns.Server
	tcp    *mdns.Server
	bound  string
	closed chan struct{}
}

// SetZones replaces the zones the server answers for, and notifies the secondaries of the
// zones whose serial changed.
func (s *Server) SetZones(zones ...*Zone) {
	m := make(map[string]*Zone, len(zones))
	for _, z := range zones {
		m[mdns.CanonicalName(z.Origin)] = z
	}
	old := s.zones.Swap(&m)
	for origin, z := range m {
		if old != nil {
			if prev := (*old)[origin]; prev != nil && prev.Serial == z.Serial {
				continue
			}
		}
		for _, secondary := range s.NotifyTo {
			go notify(origin, secondary)
		}
	}
}

// notifyAttempts is how many times a NOTIFY is sent before giving up; a secondary also
// refreshes on its own, by the SOA's refresh time.
const notifyAttempts = 3

// notify tells one secondary that a zone changed, until it answers.
func notify(origin, secondary string) {
	m := new(mdns.Msg)
	m.SetNotify(origin)
	m.Authoritative = true
	c := &mdns.Client{Timeout: time.Second}
	for range notifyAttempts {
		if resp, _, err := c.Exchange(m, secondary); err == nil && resp.Rcode == mdns.RcodeSuccess {
			return
		}
	}
}

// SetGeo replaces the table that maps clients to regions.
func (s *Server) SetGeo(g *GeoTable) { s.geo.Store(g) }

// Zone returns the zone with this origin, or nil.
func (s *Server) Zone(origin string) *Zone {
	if m := s.zones.Load(); m != nil {
		return (*m)[mdns.CanonicalName(origin)]
	}
	return nil
}

// Start listens on UDP and TCP and serves until Stop or ctx ends.
func (s *Server) Start(ctx context.Context) error {
	pc, ln, err := listen(s.Addr)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.udp = &mdns.Server{PacketConn: pc, Handler: s, UDPSize: ednsSize}
	// miekg/dns applies no write deadline on TCP (its WriteTimeout is not used for them), and
	// bounds no connection count: the listener does both.
	ln = &limitedListener{Listener: ln, slots: make(chan struct{}, cmp.Or(s.MaxTCPConns, defaultMaxTCPConns)),
		perNetwork: cmp.Or(s.MaxTCPConnsPerNetwork, defaultMaxTCPConnsPerNetwork), writeTimeout: tcpWriteTimeout}
	s.tcp = &mdns.Server{Listener: ln, Handler: s, ReadTimeout: 5 * time.Second, IdleTimeout: func() time.Duration { return tcpIdleTimeout }}
	s.bound = pc.LocalAddr().String()
	s.closed = make(chan struct{})
	udp, tcp, closed := s.udp, s.tcp, s.closed
	s.mu.Unlock()
	started := make(chan struct{}, 2)
	udp.NotifyStartedFunc = func() { started <- struct{}{} }
	tcp.NotifyStartedFunc = func() { started <- struct{}{} }
	go func() { _ = udp.ActivateAndServe() }()
	go func() { _ = tcp.ActivateAndServe() }()
	<-started
	<-started
	go func() {
		select {
		case <-ctx.Done():
			s.Stop()
		case <-closed:
		}
	}()
	return nil
}

// listen opens UDP and TCP on one address. The TCP listener takes the port the UDP one got, so
// that port 0 gives one free port for both; if TCP has that port taken, another is tried.
func listen(addr string) (net.PacketConn, net.Listener, error) {
	_, port, _ := net.SplitHostPort(addr)
	attempts := 1
	if port == "0" {
		attempts = 10
	}
	var err error
	for range attempts {
		var pc net.PacketConn
		if pc, err = net.ListenPacket("udp", addr); err != nil {
			return nil, nil, fmt.Errorf("failed to listen for DNS on udp %s: %w", addr, err)
		}
		var ln net.Listener
		if ln, err = net.Listen("tcp", pc.LocalAddr().String()); err == nil {
			return pc, ln, nil
		}
		_ = pc.Close()
		err = fmt.Errorf("failed to listen for DNS on tcp %s: %w", pc.LocalAddr(), err)
	}
	return nil, nil, err
}

// BoundAddr is the address the server listens on, with the port it got.
func (s *Server) BoundAddr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.bound
}

// Stop closes both listeners.
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.udp == nil {
		return
	}
	_ = s.udp.Shutdown()
	_ = s.tcp.Shutdown()
	close(s.closed)
	s.udp, s.tcp = nil, nil
}

// ServeDNS answers one request; the work is in Handle.
func (s *Server) ServeDNS(w mdns.ResponseWriter, req *mdns.Msg) {
	remote, tcp := remoteAddr(w.RemoteAddr())
	if isTransfer(req) {
		s.transfer(w, req, remote, tcp)
		return
	}
	resp := s.Handle(req, remote, tcp)
	if !tcp {
		switch s.RateLimit.Check(remote, resp) {
		case Drop:
			return
		case Truncate:
			resp = new(mdns.Msg).SetReply(req)
			resp.Truncated = true
		}
	}
	_ = w.WriteMsg(resp)
}

// Handle builds the response to one request from a client, without I/O.
func (s *Server) Handle(req *mdns.Msg, remote netip.Addr, tcp bool) *mdns.Msg {
	resp := new(mdns.Msg)
	resp.SetReply(req)
	resp.Authoritative = false
	resp.RecursionAvailable = false
	opt := req.IsEdns0()
	size := 512
	if opt != nil {
		if opt.Version() != 0 {
			resp.SetRcode(req, mdns.RcodeBadVers)
			resp.SetEdns0(ednsSize, false)
			return resp
		}
		size = max(512, min(int(opt.UDPSize()), ednsSize))
	}
	switch {
	case req.Opcode != mdns.OpcodeQuery:
		resp.SetRcode(req, mdns.RcodeNotImplemented)
	case len(req.Question) != 1 || req.Response:
		resp.SetRcode(req, mdns.RcodeFormatError)
	case req.Question[0].Qclass != mdns.ClassINET:
		resp.SetRcode(req, mdns.RcodeRefused)
	case isTransfer(req):
		resp.SetRcode(req, mdns.RcodeRefused) // transfers go through ServeDNS, over TCP
	default:
		s.answer(resp, req, remote, opt)
	}
	if opt != nil {
		out := resp.SetEdns0(ednsSize, false).IsEdns0()
		if ecs := clientSubnet(opt); ecs != nil {
			echo := *ecs
			echo.SourceScope = echo.SourceNetmask
			out.Option = append(out.Option, &echo)
		}
	}
	if !tcp {
		resp.Truncate(size)
	}
	return resp
}

func (s *Server) answer(resp, req *mdns.Msg, remote netip.Addr, opt *mdns.OPT) {
	q := req.Question[0]
	zone := s.zoneFor(q.Name)
	if zone == nil {
		resp.SetRcode(req, mdns.RcodeRefused)
		return
	}
	client := remote
	if ecs := clientSubnet(opt); ecs != nil {
		if a, ok := netip.AddrFromSlice(ecs.Address); ok {
			client = a
		}
	}
	geo := s.geo.Load()
	r := zone.Answer(q, geo, geo.RegionOf(client), uint64(req.Id)<<32|s.draws.Add(1))
	resp.Authoritative = r.Authoritative
	resp.Rcode = r.Rcode
	resp.Answer, resp.Ns, resp.Extra = r.Answer, r.Ns, r.Extra
}

// zoneFor finds the zone whose origin is the longest suffix of name.
func (s *Server) zoneFor(name string) *Zone {
	m := s.zones.Load()
	if m == nil {
		return nil
	}
	name = mdns.CanonicalName(name)
	for {
		if z := (*m)[name]; z != nil {
			return z
		}
		i := strings.IndexByte(name, '.')
		if i < 0 {
			return nil
		}
		name = name[i+1:]
		if name == "" {
			return nil
		}
	}
}

// transfer sends a zone by AXFR to an allowed client over TCP.
func (s *Server) transfer(w mdns.ResponseWriter, req *mdns.Msg, remote netip.Addr, tcp bool) {
	refuse := func(rcode int) {
		resp := new(mdns.Msg).SetRcode(req, rcode)
		_ = w.WriteMsg(resp)
	}
	if !tcp || len(req.Question) != 1 || !s.transferAllowed(remote) {
		refuse(mdns.RcodeRefused)
		return
	}
	zone := s.Zone(req.Question[0].Name)
	if zone == nil {
		refuse(mdns.RcodeNotAuth)
		return
	}
	// Each message is written here, under the connection's write deadline: a client that goes
	// away ends the transfer at its first failed write, leaving nothing behind.
	records := zone.Transfer()
	for len(records) > 0 {
		n := min(len(records), 200)
		msg := new(mdns.Msg).SetReply(req)
		msg.Authoritative = true
		msg.Answer = records[:n]
		records = records[n:]
		if err := w.WriteMsg(msg); err != nil {
			_ = w.Close()
			return
		}
	}
	_ = w.Close()
}

func (s *Server) transferAllowed(addr netip.Addr) bool {
	if len(s.TransferFrom) == 0 {
		return addr.Unmap().IsLoopback()
	}
	for _, p := range s.TransferFrom {
		if p.Contains(addr.Unmap()) {
			return true
		}
	}
	return false
}

func isTransfer(req *mdns.Msg) bool {
	return len(req.Question) == 1 && (req.Question[0].Qtype == mdns.TypeAXFR || req.Question[0].Qtype == mdns.TypeIXFR)
}

func clientSubnet(opt *mdns.OPT) *mdns.EDNS0_SUBNET {
	if opt == nil {
		return nil
	}
	for _, o := range opt.Option {
		if ecs, ok := o.(*mdns.EDNS0_SUBNET); ok {
			return ecs
		}
	}
	return nil
}

func remoteAddr(a net.Addr) (netip.Addr, bool) {
	switch a := a.(type) {
	case *net.UDPAddr:
		ip, _ := netip.AddrFromSlice(a.IP)
		return ip.Unmap(), false
	case *net.TCPAddr:
		ip, _ := netip.AddrFromSlice(a.IP)
		return ip.Unmap(), true
	}
	return netip.Addr{}, false
}

// limitedListener caps its open connections, in all and per client network, closing those
// over a cap at once, and gives every write a deadline.
type limitedListener struct {
	net.Listener
	slots        chan struct{}
	perNetwork   int
	writeTimeout time.Duration

	mu   sync.Mutex
	open map[netip.Prefix]int
}

func (l *limitedListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		network := tcpClientNetwork(c.RemoteAddr())
		if !l.take(network) {
			_ = c.Close()
			continue
		}
		select {
		case l.slots <- struct{}{}:
			release := func() { <-l.slots; l.give(network) }
			return &deadlineConn{Conn: c, release: release, writeTimeout: l.writeTimeout}, nil
		default:
			l.give(network)
			_ = c.Close()
		}
	}
}

// take counts a connection of a network in, unless that network holds its cap already.
func (l *limitedListener) take(network netip.Prefix) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.open[network] >= l.perNetwork {
		return false
	}
	if l.open == nil {
		l.open = map[netip.Prefix]int{}
	}
	l.open[network]++
	return true
}

// give counts a closed connection of a network out.
func (l *limitedListener) give(network netip.Prefix) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.open[network]--; l.open[network] <= 0 {
		delete(l.open, network)
	}
}

// tcpClientNetwork is the network a TCP client counts in: its /24 or /56, as response-rate
// limiting groups clients.
func tcpClientNetwork(a net.Addr) netip.Prefix {
	addr, _ := remoteAddr(a)
	bits := tcpNetworkBitsV6
	if addr.Is4() {
		bits = tcpNetworkBitsV4
	}
	p, _ := addr.Prefix(bits)
	return p
}

// deadlineConn sets a write deadline before each write and frees its slot once closed.
type deadlineConn struct {
	net.Conn
	once         sync.Once
	release      func()
	writeTimeout time.Duration
}

func (c *deadlineConn) Write(p []byte) (int, error) {
	if err := c.Conn.SetWriteDeadline(time.Now().Add(c.writeTimeout)); err != nil {
		return 0, err
	}
	return c.Conn.Write(p)
}

func (c *deadlineConn) Close() error {
	c.once.Do(c.release)
	return c.Conn.Close()
}
