package storage

import (
	"context"
	"errors"
)

// TEMPORARY stub of the delivery contract until the delivery branch lands;
// replaced wholesale.

type Delivery struct {
	ID            string
	Kind          string
	InquiryID     string
	CustomerKey   string
	IncidentID    string
	UpdateVersion int
	URL           string
	Source        string
	Locale        string
	Text          string
	Status        string
	Attempts      int
	LastError     string
	NextAt        int64
	CreatedAt     int64
	UpdatedAt     int64
	DeliveredAt   int64
}

const (
	DeliveryPending   = "pending"
	DeliveryDelivered = "delivered"
	DeliveryFailed    = "failed"
)

var errStub = errors.New("storage: deliveries not built yet")

func (s *Storage) EnqueueDeliveries(ctx context.Context, ds []Delivery) (int, error) {
	return 0, errStub
}
func (s *Storage) DeliveriesByIncident(ctx context.Context, incidentID string, limit int) ([]Delivery, error) {
	return nil, errStub
}
func (s *Storage) DeliveriesByInquiry(ctx context.Context, inquiryID string) ([]Delivery, error) {
	return nil, errStub
}
