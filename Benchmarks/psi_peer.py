"""openmined-psi as the peer of `dataspace bench psi`: the same two sets, the same release (the
intersection's size), client and server in one process as the library's own benchmarks run them.
The setup message uses the RAW data structure (no Golomb/Bloom compression step: the fastest
server setup; false-positive rate then does not apply). Prints one JSON object.
    usage: psi_peer.py PROVIDER_CSV CONSUMER_CSV
"""
import json
import sys
import time

import private_set_intersection.python as psi


def first_column(path):
    with open(path, encoding="utf-8") as f:
        next(f)
        return [line.split(",", 1)[0].strip() for line in f if line.strip()]


def main():
    server_items = first_column(sys.argv[1])
    client_items = first_column(sys.argv[2])
    start = time.perf_counter()
    client = psi.client.CreateWithNewKey(False)
    server = psi.server.CreateWithNewKey(False)
    setup = psi.ServerSetup()
    setup.ParseFromString(
        server.CreateSetupMessage(1e-9, len(client_items), server_items, psi.DataStructure.RAW).SerializeToString())
    request = psi.Request()
    request.ParseFromString(client.CreateRequest(client_items).SerializeToString())
    response = psi.Response()
    response.ParseFromString(server.ProcessRequest(request).SerializeToString())
    size = client.GetIntersectionSize(setup, response)
    seconds = time.perf_counter() - start
    print(json.dumps({"seconds": seconds, "intersection": size, "client": len(client_items), "server": len(server_items)}))


if __name__ == "__main__":
    main()
