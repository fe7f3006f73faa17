// Package simulate is `navarkos simulate`: replay a demand trace against fleet policies,
// and `navarkos simulate trace`: generate one.
package simulate
