package workflows

// LifecycleBaselinesThrough lists ProjectLifecycle's baseline ids from the newest down to id
// (inclusive), for tests that play a run started before a baseline; nil when id is unknown.
func LifecycleBaselinesThrough(id string) []string {
	var ids []string
	for _, b := range lifecycleBaselines {
		ids = append(ids, b.id)
		if b.id == id {
			return ids
		}
	}
	return nil
}
