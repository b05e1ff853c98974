// Command openapi30 writes the OpenAPI 3.0.3 copy of an OpenAPI 3.1 document (server/openapi.yaml)
// to standard output, for client generators that read only 3.0 (internal/openapi30 says what
// changes):
//
//	go run ./scripts/openapi30 server/openapi.yaml > openapi-3.0.yaml
package main

import (
	"fmt"
	"os"

	"egovpm/internal/openapi30"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: openapi30 FILE (an OpenAPI 3.1 document; its 3.0.3 copy goes to standard output)")
		os.Exit(2)
	}
	in, err := os.ReadFile(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	out, err := openapi30.Convert(in)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if _, err := os.Stdout.Write(out); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
