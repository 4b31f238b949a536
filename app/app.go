// Package app is Dukaan's domain package: the types every layer speaks
// (vendors, products, orders and the events that change a shop page), their
// limits and validation, the error codes and the service interfaces that
// storage implements and web calls, each with its error contract. It
// imports only the standard library so that every other package can depend
// on it; nothing in it knows about HTTP or SQL.
//
// One file per entity: vendor.go, product.go, order.go, customer.go,
// event.go, session.go, and the shared error.go and money.go.
package app
