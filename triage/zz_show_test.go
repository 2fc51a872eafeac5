package triage

import (
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"
)

func TestZZShow(t *testing.T) {
	rows := loadDev(t, "parakqc_dev.tsv")
	b, _ := os.ReadFile("../../shared/data/parakqc_dev_sets.tsv")
	act := map[string]string{}
	for _, l := range strings.Split(string(b), "\n")[1:] {
		f := strings.Split(l, "\t")
		if len(f) == 3 {
			act[f[0]] = f[1][:2] + "/" + f[2][:4]
		}
	}
	pred, _ := clusterRows(rows, DefaultThreshold)
	mem := map[string][]int{}
	for i, p := range pred {
		mem[p] = append(mem[p], i)
	}
	cnt := map[string]int{}
	for _, m := range mem {
		for i := range m {
			for j := i + 1; j < len(m); j++ {
				a, b := rows[m[i]].label, rows[m[j]].label
				if a == b {
					continue
				}
				x, y := act[a], act[b]
				if x > y {
					x, y = y, x
				}
				cnt[x+" "+y]++
			}
		}
	}
	var ks []string
	for k := range cnt {
		ks = append(ks, k)
	}
	sort.Slice(ks, func(i, j int) bool { return cnt[ks[i]] > cnt[ks[j]] })
	for _, k := range ks[:min(15, len(ks))] {
		fmt.Println(cnt[k], k)
	}
}
