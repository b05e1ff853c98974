package platform

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
)

// SearchAttributes are the custom search attributes egovpm's workflows are started with and
// queried by (the gateway's start options, the ops tools' visibility queries): the same set the
// devserver registers (devserver/namespace.go). A Temporal namespace without them refuses every
// workflow start ("no mapping defined for search attribute").
var SearchAttributes = map[string]enumspb.IndexedValueType{
	"ProjectID": enumspb.INDEXED_VALUE_TYPE_KEYWORD,
	"UnitID":    enumspb.INDEXED_VALUE_TYPE_KEYWORD,
	"Stage":     enumspb.INDEXED_VALUE_TYPE_KEYWORD,
	"TaskKind":  enumspb.INDEXED_VALUE_TYPE_KEYWORD,
	"PlanYear":  enumspb.INDEXED_VALUE_TYPE_INT,
}

// SetupCommand is what an operator runs to register SearchAttributes.
const SetupCommand = "egovpm temporal-setup"

// MissingSearchAttributesError names the search attributes the namespace lacks (or has with
// another type) and the command that registers them.
type MissingSearchAttributesError struct {
	Namespace string
	Missing   []string
	// WrongType maps an attribute registered with another type to that type.
	WrongType map[string]string
}

func (e *MissingSearchAttributesError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Temporal namespace %q", e.Namespace)
	if len(e.Missing) > 0 {
		fmt.Fprintf(&b, " lacks the search attributes %s", strings.Join(e.Missing, ", "))
	}
	for _, name := range slices.Sorted(maps.Keys(e.WrongType)) {
		fmt.Fprintf(&b, "; %s is registered as %s, want %s", name, e.WrongType[name], SearchAttributes[name])
	}
	if len(e.Missing) > 0 {
		fmt.Fprintf(&b, ": run `%s` (with the same TEMPORAL_* settings)", SetupCommand)
	} else {
		b.WriteString(": remove it with `temporal operator search-attribute remove` or use another namespace")
	}
	return b.String()
}

// CheckSearchAttributes returns a *MissingSearchAttributesError when the namespace lacks one
// of SearchAttributes or has it with another type, and the error of the Operator API call
// when the attributes cannot be listed.
func CheckSearchAttributes(ctx context.Context, c client.Client, namespace string) error {
	resp, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: namespace})
	if err != nil {
		return fmt.Errorf("list the search attributes of Temporal namespace %q: %w", namespace, err)
	}
	have := resp.GetCustomAttributes()
	e := &MissingSearchAttributesError{Namespace: namespace, WrongType: map[string]string{}}
	for _, name := range slices.Sorted(maps.Keys(SearchAttributes)) {
		got, ok := have[name]
		switch {
		case !ok:
			e.Missing = append(e.Missing, name)
		case got != SearchAttributes[name]:
			e.WrongType[name] = got.String()
		}
	}
	if len(e.Missing) == 0 && len(e.WrongType) == 0 {
		return nil
	}
	return e
}

// SetupTemporal registers the missing SearchAttributes in the namespace through the Operator
// API and returns the names it added. It is idempotent: with every attribute present it adds
// nothing; an attribute present with another type is an error it does not try to fix.
func SetupTemporal(ctx context.Context, c client.Client, namespace string) ([]string, error) {
	err := CheckSearchAttributes(ctx, c, namespace)
	var missing *MissingSearchAttributesError
	if err == nil {
		return nil, nil
	}
	if !errors.As(err, &missing) {
		return nil, err
	}
	if len(missing.WrongType) > 0 {
		return nil, err
	}
	add := map[string]enumspb.IndexedValueType{}
	for _, name := range missing.Missing {
		add[name] = SearchAttributes[name]
	}
	_, err = c.OperatorService().AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{
		Namespace: namespace, SearchAttributes: add,
	})
	var exists *serviceerror.AlreadyExists
	if err != nil && !errors.As(err, &exists) {
		return nil, fmt.Errorf("add search attributes %s to Temporal namespace %q: %w", strings.Join(missing.Missing, ", "), namespace, err)
	}
	if err := CheckSearchAttributes(ctx, c, namespace); err != nil {
		return nil, fmt.Errorf("after adding: %w", err)
	}
	return missing.Missing, nil
}
