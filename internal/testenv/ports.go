package testenv

import (
	"fmt"
	"math/rand/v2"
	"net"
	"sync"
	"testing"
)

// The ports the tests give to the processes they start are taken from below Linux's
// default ephemeral range (net.ipv4.ip_local_port_range, 32768-60999). The kernel picks
// the local port of every outgoing connection, and of every listener on port 0, from that
// range; a port taken from it could be in use by another process's connection between the
// test's check and the process's bind, and the process would then fail to listen. Nor are
// they taken from the top of the range below it: kwokctl gives local clusters the free ports
// counting down from 32767 (7 a cluster, so 30000-32767 holds about 390 clusters).
const (
	firstTestPort = 20000
	lastTestPort  = 29999
	// portTries is how many random ports freePort checks before it gives up.
	portTries = 1000
)

// handedOut holds the ports this test binary has handed out, so that none is handed out
// twice.
var handedOut sync.Map

// FreePort is a port, free on every local address for both TCP and UDP a moment ago, that
// no other caller in this test binary gets.
func FreePort(t *testing.T) int {
	t.Helper()
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	return port
}

// freePorts returns n ports as FreePort does.
func freePorts(n int) ([]int, error) {
	ports := make([]int, 0, n)
	for range n {
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		ports = append(ports, port)
	}
	return ports, nil
}

func freePort() (int, error) {
	for range portTries {
		port := firstTestPort + rand.IntN(lastTestPort-firstTestPort+1)
		if _, taken := handedOut.LoadOrStore(port, true); taken {
			continue
		}
		if portFree(port) {
			return port, nil
		}
	}
	return 0, fmt.Errorf("no free port in %d-%d after %d tries", firstTestPort, lastTestPort, portTries)
}

// portFree reports whether nothing listens on port, on any local address, by TCP or UDP.
func portFree(port int) bool {
	addr := fmt.Sprintf(":%d", port)
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return false
	}
	_ = l.Close()
	u, err := net.ListenPacket("udp", addr)
	if err != nil {
		return false
	}
	_ = u.Close()
	return true
}
