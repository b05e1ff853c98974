package domain

// TaskKindNames are the task kinds as people read them (notifications, mail).
var TaskKindNames = map[string]string{
	"prelim_review": "初审", "expert_review": "专家评审", "bundle_approval": "打捆项目审批", "project_approval": "项目审批",
	"special_request_approval": "专题请示审批", "acceptance_check": "验收材料审查", "acceptance_signoff": "验收签署",
	"acceptance_witness": "验收见证", "om_review": "运维备案审查", "evaluation": "绩效评估",
	"change_review":      "项目变更审批",
	"plan_adjustment":    "年度计划调整审批",
	"termination_review": "终止申请审核",
	"extension_review":   "延期申请审核",
}

// DecisionNames are a task's decisions as people read them (notifications: a CC, a delegated
// task decided).
var DecisionNames = map[string]string{"approve": "通过", "return": "退回修改", "reject": "不予通过", "pass": "通过", "fail": "不通过"}
