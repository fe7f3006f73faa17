// Package simulate replays a demand trace against the placement engine and a fleet policy,
// with providers simulated in virtual time, and reports what each policy costs and how much
// demand it leaves unserved. It is pure: it reads its inputs from readers and has no clock.
package simulate
