package streamkapmock_test

import (
	"os"
	"testing"

	streamkapmock "github.com/streamkap-com/streamkap-mock/clients/go"
)

// One mock for the whole test binary: STREAMKAP_MOCK_URL's, or one started from PATH.
func TestMain(m *testing.M) { os.Exit(streamkapmock.Main(m)) }
