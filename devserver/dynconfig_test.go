package main

import (
	"testing"

	"go.temporal.io/server/common/dynamicconfig"
)

// TestForcedSearchAttributeRefreshEnds: the forced refresh of the search-attribute cache on
// every read (a cluster-metadata read each time) is on from start, off as soon as the
// attributes are known to be in every cache when none was added, and still on right after
// this run added some (their caches may predate them); other keys keep their static values.
func TestForcedSearchAttributeRefreshEnds(t *testing.T) {
	key := dynamicconfig.ForceSearchAttributesCacheRefreshOnRead.Key()
	value := func(d *devConfig) any {
		cvs := d.GetValue(key)
		if len(cvs) != 1 {
			t.Fatalf("GetValue(%s) = %v", key, cvs)
		}
		return cvs[0].Value
	}
	existing := newDevConfig()
	if value(existing) != true {
		t.Fatal("forced refresh must be on until the search attributes are checked")
	}
	existing.searchAttributesReady(false)
	if value(existing) != false {
		t.Fatal("forced refresh still on although the attributes predate the services")
	}
	added := newDevConfig()
	added.searchAttributesReady(true)
	if value(added) != true {
		t.Fatal("forced refresh ended before the caches loaded without the new attributes refreshed")
	}
	updates := dynamicconfig.FrontendEnableUpdateWorkflowExecution.Key()
	if cvs := added.GetValue(updates); len(cvs) != 1 || cvs[0].Value != true {
		t.Fatalf("static setting lost: %v", cvs)
	}
}
