package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/server/common/log"
	"go.uber.org/zap"
	"google.golang.org/protobuf/types/known/durationpb"
)

// searchAttributes are the custom search attributes the application uses in visibility
// queries. They are registered in the namespace at start.
var searchAttributes = map[string]enumspb.IndexedValueType{
	"ProjectID": enumspb.INDEXED_VALUE_TYPE_KEYWORD,
	"UnitID":    enumspb.INDEXED_VALUE_TYPE_KEYWORD,
	"Stage":     enumspb.INDEXED_VALUE_TYPE_KEYWORD,
	"PlanYear":  enumspb.INDEXED_VALUE_TYPE_INT,
	"TaskKind":  enumspb.INDEXED_VALUE_TYPE_KEYWORD,
}

// pollInterval is the pause between two checks while waiting for the server.
const pollInterval = 100 * time.Millisecond

// dialClient connects an SDK client to the frontend, retrying until ctx is done.
func dialClient(ctx context.Context, hostPort, namespace string, tc *tls.Config, logger tlog.Logger) (client.Client, error) {
	var (
		c       client.Client
		lastErr error
	)
	err := poll(ctx, func() (bool, error) {
		c, lastErr = client.DialContext(ctx, client.Options{
			HostPort:          hostPort,
			Namespace:         namespace,
			Logger:            tlog.NewSdkLogger(logger),
			ConnectionOptions: client.ConnectionOptions{TLS: tc},
		})
		return lastErr == nil, nil
	})
	if err != nil {
		return nil, fmt.Errorf("connect to frontend %s: %w (last error: %v)", hostPort, err, lastErr)
	}
	return c, nil
}

// ensureNamespace waits until the namespace is served, registering it through the API if
// the store did not create it before the server started.
func ensureNamespace(ctx context.Context, c client.Client, ns namespaceSpec, logger *zap.Logger) error {
	var (
		registered bool
		lastErr    error
	)
	err := poll(ctx, func() (bool, error) {
		resp, err := c.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: ns.Name})
		lastErr = err
		var notFound *serviceerror.NamespaceNotFound
		switch {
		case err == nil:
			if got := resp.GetConfig().GetWorkflowExecutionRetentionTtl().AsDuration(); got != ns.Retention {
				logger.Info("namespace keeps its retention; --retention only applies when the namespace is created",
					zap.String("namespace", ns.Name), zap.Duration("retention", got))
			}
			return true, nil
		case errors.As(err, &notFound) && !registered:
			_, err := c.WorkflowService().RegisterNamespace(ctx, &workflowservice.RegisterNamespaceRequest{
				Namespace:                        ns.Name,
				WorkflowExecutionRetentionPeriod: durationpb.New(ns.Retention),
			})
			var exists *serviceerror.NamespaceAlreadyExists
			if err != nil && !errors.As(err, &exists) {
				return false, fmt.Errorf("register namespace %q: %w", ns.Name, err)
			}
			registered = true
			logger.Info("namespace registered", zap.String("namespace", ns.Name))
			return false, nil
		default:
			return false, nil
		}
	})
	if err != nil {
		return fmt.Errorf("namespace %q is not available: %w (last error: %v)", ns.Name, err, lastErr)
	}
	return nil
}

// ensureSearchAttributes adds the missing custom search attributes of the namespace and
// waits until all of them are listed; added reports whether it added any. An attribute
// registered with another type is an error.
func ensureSearchAttributes(ctx context.Context, c client.Client, ns namespaceSpec, logger *zap.Logger) (added bool, err error) {
	list := func() (map[string]enumspb.IndexedValueType, error) {
		resp, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: ns.Name})
		if err != nil {
			return nil, err
		}
		return resp.GetCustomAttributes(), nil
	}

	var (
		current map[string]enumspb.IndexedValueType
		lastErr error
	)
	err = poll(ctx, func() (bool, error) {
		current, lastErr = list()
		return lastErr == nil, nil
	})
	if err != nil {
		return false, fmt.Errorf("list search attributes: %w (last error: %v)", err, lastErr)
	}

	missing := map[string]enumspb.IndexedValueType{}
	for name, want := range searchAttributes {
		got, ok := current[name]
		switch {
		case !ok:
			missing[name] = want
		case got != want:
			return false, fmt.Errorf("search attribute %s has type %s in namespace %q, want %s", name, got, ns.Name, want)
		}
	}
	if len(missing) > 0 {
		_, err := c.OperatorService().AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{
			Namespace:        ns.Name,
			SearchAttributes: missing,
		})
		if err != nil {
			return false, fmt.Errorf("add search attributes %v: %w", slices.Sorted(maps.Keys(missing)), err)
		}
		logger.Info("search attributes added", zap.Strings("names", slices.Sorted(maps.Keys(missing))))
	}

	err = poll(ctx, func() (bool, error) {
		current, err := list()
		if err != nil {
			return false, nil
		}
		for name, want := range searchAttributes {
			if current[name] != want {
				return false, nil
			}
		}
		return true, nil
	})
	if err != nil {
		return len(missing) > 0, fmt.Errorf("search attributes of namespace %q are not visible: %w", ns.Name, err)
	}
	return len(missing) > 0, nil
}

// poll calls check every pollInterval until it reports done, returns an error, or ctx is
// done.
func poll(ctx context.Context, check func() (done bool, err error)) error {
	t := time.NewTicker(pollInterval)
	defer t.Stop()
	for {
		done, err := check()
		if err != nil {
			return err
		}
		if done {
			return nil
		}
		select {
		case <-ctx.Done():
			return context.Cause(ctx)
		case <-t.C:
		}
	}
}
