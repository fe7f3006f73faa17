// Package clusterpool keeps each ClusterPool's status: how many clusters it holds and how many are Ready.
package clusterpool
