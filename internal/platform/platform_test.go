package platform

import (
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
)

// TEMPORAL_GRPC_COMPRESSION reaches the SDK: gzip only when asked for (the SDK's default is
// gzip, which cost a quarter of the gateway's CPU per decision on the LAN).
func TestCompression(t *testing.T) {
	require.IsType(t, &client.GrpcCompressionNone{}, Compression("none"))
	require.IsType(t, &client.GrpcCompressionGzip{}, Compression("gzip"))
}
