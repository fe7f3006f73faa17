// Package v1alpha1 holds the Navarkos fleet API: pools of clusters and the member clusters made from them.
//
// +kubebuilder:object:generate=true
// +groupName=n6s.io
package v1alpha1
