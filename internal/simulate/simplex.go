package simulate

import (
	"errors"

	"gonum.org/v1/gonum/mat"
)

// The bound solves one small linear program per span of every simulation. gonum's simplex
// factorises its basis afresh at each pivot, which made the bound most of a simulation's
// time; these programs start from a basis that is the identity (every class unserved, every
// slack at its bound), so a dense tableau pivots them in a fraction of it.

// simplexPivotsPerColumn caps the pivots at this many per row and column: a program that
// takes longer is given up, and a bound given up is 0, which still holds.
const simplexPivotsPerColumn = 20

// simplexTolerance is the least reduced cost, and the least pivot, that counts as non-zero.
const simplexTolerance = 1e-9

var errSimplexGaveUp = errors.New("simplex: too many pivots, or the program is unbounded")

// tableauSimplex minimises c·x subject to a x = b and x ≥ 0, from basis: for each row i, the
// column basis[i] of a is the unit vector of row i, and b ≥ 0, so that the basis is feasible.
// It enters the column of the most negative reduced cost and leaves the row of the least
// ratio, the lowest basic column among ties.
func tableauSimplex(c []float64, a *mat.Dense, b []float64, basis []int) ([]float64, error) {
	m, n := a.Dims()
	t := make([][]float64, m)
	for i := range m {
		t[i] = append(append(make([]float64, 0, n+1), a.RawRowView(i)...), b[i])
	}
	basis = append([]int(nil), basis...)
	reduced := append(make([]float64, 0, n+1), c...)
	reduced = append(reduced, 0)
	for i, j := range basis {
		for k := range reduced {
			reduced[k] -= c[j] * t[i][k]
		}
	}
	for range simplexPivotsPerColumn * (m + n) {
		enter := -1
		for j := range n {
			if reduced[j] < -simplexTolerance && (enter < 0 || reduced[j] < reduced[enter]) {
				enter = j
			}
		}
		if enter < 0 {
			x := make([]float64, n)
			for i, j := range basis {
				x[j] = t[i][n]
			}
			return x, nil
		}
		leave := -1
		for i := range m {
			if t[i][enter] <= simplexTolerance {
				continue
			}
			if leave < 0 {
				leave = i
				continue
			}
			ratio, best := t[i][n]/t[i][enter], t[leave][n]/t[leave][enter]
			if ratio < best || ratio == best && basis[i] < basis[leave] {
				leave = i
			}
		}
		if leave < 0 {
			break
		}
		pivot(t, reduced, leave, enter)
		basis[leave] = enter
	}
	return nil, errSimplexGaveUp
}

// pivot makes column enter the unit vector of row leave in the tableau and its reduced costs.
func pivot(t [][]float64, reduced []float64, leave, enter int) {
	row := t[leave]
	scale := 1 / row[enter]
	for k := range row {
		row[k] *= scale
	}
	for i, other := range t {
		if i == leave || other[enter] == 0 {
			continue
		}
		f := other[enter]
		for k := range other {
			other[k] -= f * row[k]
		}
	}
	f := reduced[enter]
	for k := range reduced {
		reduced[k] -= f * row[k]
	}
}
