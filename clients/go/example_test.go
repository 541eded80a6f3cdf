package streamkapmock_test

import (
	"errors"
	"fmt"
	"strings"
	"time"

	streamkapmock "github.com/streamkap-com/streamkap-mock/clients/go"
)

// A tenant of its own, a tag created in it, and the journal's record of the request.
// (In a test, Start(t) and mock.Tenant(t) do the same and clean up by themselves.)
func Example() {
	mock, stop, err := streamkapmock.Launch()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer stop()
	tenant, err := mock.CreateTenant("example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer mock.DeleteTenant(tenant.ID)

	fmt.Println(strings.Join([]string{"STREAMKAP_HOST", "STREAMKAP_CLIENT_ID", "STREAMKAP_SECRET"}, " "),
		len(tenant.Env()))
	var tag struct {
		Name string `json:"name"`
	}
	err = tenant.Client().Do("POST", "/tags", map[string]any{"name": "team-a", "type": []string{"sources"}}, &tag)
	fmt.Println(tag.Name, err)
	posts, _ := tenant.Requests(streamkapmock.Filter{Method: "POST", Path: "/tags"})
	fmt.Println(len(posts), *posts[0].Status)
	// Output:
	// STREAMKAP_HOST STREAMKAP_CLIENT_ID STREAMKAP_SECRET 3
	// team-a <nil>
	// 1 200
}

// Two 429s on the tenant's next tag creates (the provider retries on them), then success.
func ExampleMock_AddPreset() {
	mock, stop, err := streamkapmock.Launch()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer stop()
	tenant, _ := mock.CreateTenant("")
	defer mock.DeleteTenant(tenant.ID)

	rule, _ := mock.AddPreset("rate_limited", streamkapmock.FaultMatch{Method: "POST", Path: "/tags", Tenant: tenant.ID}, 2)
	defer mock.RemoveFault(rule.ID)
	client := tenant.Client()
	for i := 0; i < 3; i++ {
		err := client.Do("POST", "/tags", map[string]any{"name": "retried", "type": []string{"sources"}}, nil)
		var apiErr *streamkapmock.Error
		if errors.As(err, &apiErr) {
			fmt.Println(apiErr.Status)
		} else {
			fmt.Println(err)
		}
	}
	// Output:
	// 429
	// 429
	// <nil>
}

// The virtual clock moves forward on demand: delays, delete grace and token expiry follow it.
func ExampleMock_AdvanceClock() {
	mock, stop, err := streamkapmock.Launch()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer stop()
	before, _ := mock.Clock()
	after, _ := mock.AdvanceClock(90 * time.Minute)
	fmt.Println(after.OffsetSeconds-before.OffsetSeconds, after.EpochSeconds-before.EpochSeconds >= 5400)
	// Output: 5400 true
}

// The seeds shipped with the mock, for WithSeed and SeedName (provider-acceptance holds the
// entities the provider's acceptance tests read by fixed id).
func ExampleMock_ShippedSeeds() {
	mock, stop, err := streamkapmock.Launch()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer stop()
	names, _ := mock.ShippedSeeds()
	fmt.Println(names)
	// Output: [provider-acceptance]
}
