package app

import "testing"

func TestOrderStatusWorkflow(t *testing.T) {
	allowed := map[[2]OrderStatus]bool{
		{StatusPending, StatusConfirmed}:   true,
		{StatusConfirmed, StatusShipped}:   true,
		{StatusShipped, StatusDelivered}:   true,
		{StatusPending, StatusCancelled}:   true,
		{StatusConfirmed, StatusCancelled}: true,
	}
	all := append([]OrderStatus{"", "refunded"}, OrderStatuses...)
	for _, from := range all {
		for _, to := range all {
			t.Run(string(from)+"->"+string(to), func(t *testing.T) {
				if got, want := from.CanMoveTo(to), allowed[[2]OrderStatus{from, to}]; got != want {
					t.Errorf("CanMoveTo = %v, want %v", got, want)
				}
			})
		}
	}
	if got := StatusPending.NextSteps(); len(got) != 2 || got[0] != StatusConfirmed || got[1] != StatusCancelled {
		t.Errorf("pending.NextSteps() = %v", got)
	}
	if got := StatusDelivered.NextSteps(); len(got) != 0 {
		t.Errorf("delivered.NextSteps() = %v, want none", got)
	}
}
