// Package globalingress is the Federated Ingress Controller: it turns each GlobalIngress into
// health-aware DNS records over the member clusters that serve its backend.
package globalingress
