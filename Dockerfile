# The image charts/navarkos runs: navarkos with the kube-apiserver, kube-controller-manager and
# etcd of the fleet API (and kwok, kwokctl and kube-scheduler for the local provider), all built
# from their Go modules by `make build`, as on a developer's machine.
FROM golang:1.26 AS build
WORKDIR /src
COPY . .
RUN make build

FROM debian:trixie-slim
COPY --from=build /src/bin/navarkos /src/bin/kube-apiserver /src/bin/kube-controller-manager \
     /src/bin/kube-scheduler /src/bin/etcd /src/bin/kwok /src/bin/kwokctl /usr/local/bin/
USER 65532:65532
ENTRYPOINT ["navarkos"]
