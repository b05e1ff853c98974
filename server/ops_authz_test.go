package main

import "egovpm/workflows"

// mxWorkflow is the object of the ops routes in the authorization matrix (mxRoutes): the
// workflow of project pA and an activity id it does not have.
func mxWorkflow(f *mxFixture) []mxTarget {
	return []mxTarget{{name: "project-pA-workflow", params: map[string]string{
		"workflow_id": workflows.ProjectWorkflowID(f.pA), "activity_id": "1"}}}
}
