// Package report writes the fleet's decisions for people: where a resource runs and why, and what the planner would change.
package report
