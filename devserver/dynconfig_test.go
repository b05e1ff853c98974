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

// TestHistoryCachesFollowTheFlags: the mutable-state and events caches are the devserver's
// defaults (a 10,000-project year fits, §11.1.7) until --history-cache-entries and
// --events-cache-mib set them.
func TestHistoryCachesFollowTheFlags(t *testing.T) {
	ms, ev := dynamicconfig.HistoryCacheHostLevelMaxSize.Key(), dynamicconfig.EventsCacheMaxSizeBytes.Key()
	d := newDevConfig()
	if cvs := d.GetValue(ms); len(cvs) != 1 || cvs[0].Value != defaultHistoryCache {
		t.Fatalf("default mutable-state cache = %v, want %d", cvs, defaultHistoryCache)
	}
	if cvs := d.GetValue(ev); len(cvs) != 1 || cvs[0].Value != defaultEventsCacheMiB<<20 {
		t.Fatalf("default events cache = %v, want %d MiB", cvs, defaultEventsCacheMiB)
	}
	d.historyCache, d.eventsCacheBytes = 5000, 8<<20
	if cvs := d.GetValue(ms); len(cvs) != 1 || cvs[0].Value != 5000 {
		t.Fatalf("mutable-state cache = %v, want 5000", cvs)
	}
	if cvs := d.GetValue(ev); len(cvs) != 1 || cvs[0].Value != 8<<20 {
		t.Fatalf("events cache = %v, want 8 MiB", cvs)
	}
}
