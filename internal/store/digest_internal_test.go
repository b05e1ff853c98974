package store

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"egovpm/internal/calendar"
)

// A digest after days off says it covers them (the previous working day's digest named); a
// working day's after the day before does not.
func TestDigestMessageNamesTheDaysOff(t *testing.T) {
	at := func(d string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04", d, calendar.Shanghai)
		require.NoError(t, err)
		return v
	}
	rows := []digestRow{{ID: "a", Title: "新待办：初审——项目甲", CreatedAt: at("2026-12-05 10:00")}}
	monday := digestMessage("u-drb1", "drb1", "li.shen@luan.gov.cn", at("2026-12-07 08:30"), at("2026-12-04 08:30"), rows, nil)
	require.Contains(t, monday.Body, "以下是尚未邮件告知您的 1 条通知（含 12月4日汇总之后周末和节假日期间的通知），按时间先后排列：\n")
	require.Equal(t, "每日通知汇总（12月7日）：1 条", monday.Title)
	tuesday := digestMessage("u-drb1", "drb1", "li.shen@luan.gov.cn", at("2026-12-08 08:30"), at("2026-12-07 08:30"), rows, nil)
	require.False(t, strings.Contains(tuesday.Body, "汇总之后"), tuesday.Body)
	require.Contains(t, tuesday.Body, "尚未邮件告知您的 1 条通知，按时间先后排列：\n")
	unknown := digestMessage("u-drb1", "drb1", "li.shen@luan.gov.cn", at("2026-12-07 08:30"), time.Time{}, rows, nil)
	require.False(t, strings.Contains(unknown.Body, "汇总之后"))
}
