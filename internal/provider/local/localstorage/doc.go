// Package localstorage is the storage provisioner of the local provider: each local member
// cluster gets a default StorageClass, and every PersistentVolumeClaim of that class gets a
// PersistentVolume, which kube-controller-manager then binds. The pods of local clusters are
// simulated by kwok, so the volumes hold no data; they let charts with PersistentVolumeClaims
// and StatefulSets install and run as they would on a real cluster.
package localstorage
