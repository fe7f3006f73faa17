// Package loopbacklb is the load-balancer implementation of the local provider: it gives
// every LoadBalancer Service and every Ingress of a local member cluster its own loopback
// address (127.1.0.0/16), written to the object's status, much as MetalLB does on bare metal.
package loopbacklb
