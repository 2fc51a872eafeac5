package triage

import (
	"fmt"
	"os"
	"testing"
)

func TestZZDebug(t *testing.T) {
	if os.Getenv("ZZ") == "" {
		t.Skip()
	}
	rows := loadDev(t, os.Getenv("ZZ"))
	pred, _ := clusterRows(rows, 0.35)
	members := map[string][]int{}
	var order []string
	for i, p := range pred {
		if _, ok := members[p]; !ok {
			order = append(order, p)
		}
		members[p] = append(members[p], i)
	}
	shown := 0
	for _, id := range order {
		m := members[id]
		labels := map[string]bool{}
		for _, i := range m {
			labels[rows[i].label] = true
		}
		if len(labels) > 1 && shown < 25 {
			shown++
			fmt.Println("----")
			for _, i := range m {
				fmt.Printf("%s | %s | %s\n", rows[i].label, rows[i].text, Normalize(rows[i].text))
			}
		}
	}
}
