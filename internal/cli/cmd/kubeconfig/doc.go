// Package kubeconfig implements `navarkos kubeconfig CLUSTER`, which prints a member cluster's admin kubeconfig.
package kubeconfig
