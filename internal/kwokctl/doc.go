// Package kwokctl drives kwokctl's binary runtime to run local clusters made of the real Kubernetes components.
package kwokctl
