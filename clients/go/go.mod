module github.com/streamkap-com/streamkap-mock/clients/go

go 1.21
