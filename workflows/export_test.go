package workflows

// BaselinesThrough lists the baseline ids of id's workflow type (ProjectLifecycle's or
// AnnualPlan's) from the newest down to id (inclusive), for tests that play a run started
// before a baseline; nil when id is unknown.
func BaselinesThrough(id string) []string {
	for _, bs := range [][]baseline{lifecycleBaselines, planBaselines} {
		var ids []string
		for _, b := range bs {
			ids = append(ids, b.id)
			if b.id == id {
				return ids
			}
		}
	}
	return nil
}
