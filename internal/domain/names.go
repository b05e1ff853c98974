package domain

import "strings"

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

// StageNames are the stages as people read them (refusals, exports); the web UI's stageLabels
// say the same (TestStageNames_MatchWeb).
var StageNames = map[string]string{"draft": "草稿", "prelim_review": "初审", "revision": "退回修改", "expert_review": "专家评审",
	"awaiting_plan": "待列入计划", "not_included": "未列入计划", "awaiting_approval": "待批复", "special_request": "专题请示",
	"approved": "已批复", "procurement": "采购", "construction": "建设", "trial_run": "试运行", "acceptance": "竣工验收",
	"rectification": "整改", "om": "运维", "rejected": "不予立项", "closed": "已关闭"}

// RoleNames are the roles as people read them (refusals); the web UI's roleLabels say the same
// (TestRoleNames_MatchWeb).
var RoleNames = map[string]string{
	RoleSubmitter: "申报单位经办人", RoleDRBReviewer: "数管局审核人员", RoleDRBSupervisor: "数管局主管",
	RoleExpert: "评审专家", RoleNDRCApprover: "发改委审批人", RoleCityGovApprover: "市政府审批人",
	RolePRTAWitness: "公管局见证人", RoleFinance: "财政局", RoleCrypto: "密码管理局", RoleAudit: "审计局",
	RoleAdmin: "系统管理员", RoleOps: "运维人员",
}

// OrgKindNames are the kinds of organisation as people read them (SPEC.md's glossary), for
// messages that list them (GET /orgs?kind=, POST /orgs).
var OrgKindNames = map[string]string{
	"unit": "项目建设单位", "drb": "市数管局", "ndrc": "市发改委", "finance": "市财政局", "crypto": "市密码管理局",
	"prta": "市公管局", "audit": "市审计局", "citygov": "市政府", "expert": "专家", "ops": "运维",
}

// ProjectTypeNames are the project types (R1) as the web UI's typeLabels name them
// (TestProjectTypeNames_MatchWeb).
var ProjectTypeNames = map[string]string{
	"new": "新建", "continuation": "续建", "om": "运维", "service": "购买服务", "design": "设计（第三方服务）",
	"supervision": "监理（第三方服务）", "testing": "测评（第三方服务）", "security": "安全（第三方服务）",
}

// DeploymentNames are where a project's system runs (基础共用), as the web UI's
// deploymentLabels name them (TestDeploymentNames_MatchWeb).
var DeploymentNames = map[string]string{"gov_cloud": "市政务云平台", "self_built": "自建机房或独立部署", "none": "不涉及部署"}

// PlatformNames are the city's shared platforms a project builds on (基础共用), as the web UI's
// platformLabels name them (TestDeploymentNames_MatchWeb).
var PlatformNames = map[string]string{"data_platform": "江淮大数据中心六安市子平台", "service_platform": "一体化在线政务服务平台（皖事通办）"}

// ChangeKindNames are what a change request changes (项目变更), as the web UI's
// changeKindLabels name them (TestChangeKindNames_MatchWeb).
var ChangeKindNames = map[string]string{"scope": "建设内容", "amount": "投资金额", "vendor": "承建单位", "schedule": "建设周期"}

// GradeNames are the grades of a performance evaluation (绩效评估), as the web UI's gradeLabels
// (the decision dialog's choices) name them (TestGradeNames_MatchWeb).
var GradeNames = map[string]string{"excellent": "优秀", "good": "良好", "fair": "一般", "poor": "较差"}

// PlanAdjustNames are the actions of a mid-year plan adjustment (调整, R5), as the web UI's
// planAdjustLabels (the adjustment card and the decision dialog) name them
// (TestPlanAdjustNames_MatchWeb).
var PlanAdjustNames = map[string]string{"add": "增补列入", "remove": "移出计划", "amount": "调整金额"}

// nameOf is m[k], or k itself where m has no name for it (a message never loses the value).
func nameOf(m map[string]string, k string) string {
	if v, ok := m[k]; ok {
		return v
	}
	return k
}

// StageName is a stage's Chinese name.
func StageName(s Stage) string { return nameOf(StageNames, string(s)) }

// StageNameList names stages in Chinese, joined with 、.
func StageNameList(ss []Stage) string {
	out := make([]string, 0, len(ss))
	for _, s := range ss {
		out = append(out, StageName(s))
	}
	return strings.Join(out, "、")
}

// RoleName is a role's Chinese name.
func RoleName(r Role) string { return nameOf(RoleNames, r) }

// DocKindName is a document kind's Chinese name.
func DocKindName(k string) string { return nameOf(DocKindNames, k) }

// DocKindNameList names document kinds in Chinese, joined with 、 ("试运行报告、密评报告").
func DocKindNameList(kinds []string) string {
	out := make([]string, 0, len(kinds))
	for _, k := range kinds {
		out = append(out, DocKindName(k))
	}
	return strings.Join(out, "、")
}
