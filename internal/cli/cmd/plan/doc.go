// Package plan is `navarkos plan`: the decisions the planner would take now, changing nothing.
package plan
