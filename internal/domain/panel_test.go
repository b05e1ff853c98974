package domain

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestR4PanelRuleFromThePolicy: R4's numbers live in the policy. A policy JSON without the
// panel fields (every policy pinned before them) keeps the rules it was written for: an odd
// effective panel of at least panel_min, passed by a strict majority; the fields change them,
// and Validate refuses shares and sizes that make no panel.
func TestR4PanelRuleFromThePolicy(t *testing.T) {
	var p Policy
	require.NoError(t, json.Unmarshal([]byte(validPolicyJSON), &p))
	require.True(t, p.PanelMustBeOdd())
	for size, add := range map[int]int{0: 3, 1: 2, 2: 1, 3: 0, 4: 1, 5: 0, 6: 1, 7: 0} {
		require.Equal(t, add, p.PanelShortfall(size), "effective panel of %d", size)
	}
	require.True(t, p.PanelPasses(2, 3))
	require.False(t, p.PanelPasses(2, 4), "a tie is no majority")
	require.True(t, p.PanelPasses(3, 4))

	require.NoError(t, json.Unmarshal(withPolicy(map[string]string{"panel_odd": "false", "panel_min": "4",
		"panel_pass_more_than": `{"num": 2, "den": 3}`}), &p))
	require.NoError(t, p.Validate())
	require.False(t, p.PanelMustBeOdd())
	require.Equal(t, 0, p.PanelShortfall(4))
	require.Equal(t, 1, p.PanelShortfall(3))
	require.False(t, p.PanelPasses(2, 3))
	require.True(t, p.PanelPasses(3, 4))

	for name, fields := range map[string]map[string]string{
		"even minimum while odd": {"panel_min": "4"},
		"share of one":           {"panel_pass_more_than": `{"num": 2, "den": 2}`},
		"share of nothing":       {"panel_pass_more_than": `{"num": 0, "den": 2}`},
		"no denominator":         {"panel_pass_more_than": `{"num": 1, "den": 0}`},
		"panel of 101":           {"panel_min": "101"},
	} {
		var bad Policy
		require.NoError(t, json.Unmarshal(withPolicy(fields), &bad), name)
		require.Error(t, bad.Validate(), name)
	}
}
