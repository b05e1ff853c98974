// Command openapiclient is built by TestOpenAPIGeneratedClient beside client.gen.go, the client
// oapi-codegen generates from the OpenAPI 3.0 copy of server/openapi.yaml (package main, types
// and client). It signs in through the generated client, reads GET /api/v1/me with the token
// and the same route without one, and prints what it decoded as one JSON object: the test
// compares it with the gateway's own answers.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"time"
)

func main() {
	base := flag.String("base", "", "the gateway's URL")
	user := flag.String("user", "", "username")
	password := flag.String("password", "", "password")
	flag.Parse()
	if err := run(*base, *user, *password); err != nil {
		fmt.Fprintln(os.Stderr, "openapiclient:", err)
		os.Exit(1)
	}
}

func run(base, user, password string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := NewClientWithResponses(base)
	if err != nil {
		return err
	}
	login, err := c.LoginWithResponse(ctx, LoginJSONRequestBody{Username: user, Password: password})
	if err != nil {
		return fmt.Errorf("login: %w", err)
	}
	if login.JSON200 == nil {
		return fmt.Errorf("login: %s %s", login.Status(), login.Body)
	}
	bearer := func(_ context.Context, req *http.Request) error {
		req.Header.Set("Authorization", "Bearer "+login.JSON200.Token)
		return nil
	}
	me, err := c.MeWithResponse(ctx, bearer)
	if err != nil {
		return fmt.Errorf("me: %w", err)
	}
	if me.JSON200 == nil {
		return fmt.Errorf("me: %s %s", me.Status(), me.Body)
	}
	anon, err := c.MeWithResponse(ctx)
	if err != nil {
		return fmt.Errorf("me without a token: %w", err)
	}
	if anon.JSON401 == nil {
		return fmt.Errorf("me without a token: %s %s", anon.Status(), anon.Body)
	}
	return json.NewEncoder(os.Stdout).Encode(map[string]any{
		"login_status":        login.StatusCode(),
		"login_user":          login.JSON200.User.Id,
		"must_change":         login.JSON200.MustChangePassword,
		"me":                  me.JSON200, // re-encoded from the generated model
		"me_raw":              json.RawMessage(me.Body),
		"unauthorized_status": anon.StatusCode(),
		"unauthorized_code":   anon.JSON401.Error.Code,
		"request_id":          anon.JSON401.Error.RequestId,
	})
}
