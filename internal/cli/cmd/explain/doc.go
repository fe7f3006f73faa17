// Package explain is `navarkos explain`: why a workload runs where it does.
package explain
