"""Runs one parameterised statement through libpq's PQexecParams, which always uses the Postgres extended
protocol (Parse/Bind/Execute), and prints the rows tab-separated; errors go to stderr with exit code 1 (2 when
the connection fails). psql before 16 has no \\bind, so the wire tests use this for a real libpq client.

Usage: python3 pq_exec_params.py CONNINFO SQL [PARAM ...]

A PARAM is sent as text with its type left to the server, unless it is typed as JDBC (DBeaver) binds them:
`int8:2200` / `int4:7` in binary with type int8 / int4, `varchar:persons` as text with type varchar.
"""
import ctypes, sys
from ctypes import c_char_p, c_int, c_void_p, POINTER
lib = ctypes.CDLL("libpq.so.5")
lib.PQconnectdb.restype = c_void_p; lib.PQconnectdb.argtypes = [c_char_p]
lib.PQstatus.restype = c_int; lib.PQstatus.argtypes = [c_void_p]
lib.PQerrorMessage.restype = c_char_p; lib.PQerrorMessage.argtypes = [c_void_p]
lib.PQexecParams.restype = c_void_p
lib.PQexecParams.argtypes = [c_void_p, c_char_p, c_int, c_void_p, POINTER(c_char_p), c_void_p, c_void_p, c_int]
lib.PQresultStatus.restype = c_int; lib.PQresultStatus.argtypes = [c_void_p]
lib.PQresultErrorMessage.restype = c_char_p; lib.PQresultErrorMessage.argtypes = [c_void_p]
lib.PQntuples.restype = c_int; lib.PQntuples.argtypes = [c_void_p]
lib.PQnfields.restype = c_int; lib.PQnfields.argtypes = [c_void_p]
lib.PQgetvalue.restype = c_char_p; lib.PQgetvalue.argtypes = [c_void_p, c_int, c_int]
lib.PQgetisnull.restype = c_int; lib.PQgetisnull.argtypes = [c_void_p, c_int, c_int]
lib.PQfinish.argtypes = [c_void_p]; lib.PQclear.argtypes = [c_void_p]
conn = lib.PQconnectdb(sys.argv[1].encode())
if lib.PQstatus(conn) != 0:
    sys.stderr.write(lib.PQerrorMessage(conn).decode()); sys.exit(2)
import struct
TYPED = {"int8": (20, ">q"), "int4": (23, ">i"), "varchar": (1043, None)}
types, params, lengths, formats = [], [], [], []
for arg in sys.argv[3:]:
    kind, _, value = arg.partition(":")
    oid, packing = TYPED.get(kind, (0, None)) if value else (0, None)
    data = struct.pack(packing, int(value)) if packing else (value if oid else arg).encode()
    types.append(oid); params.append(data); lengths.append(len(data)); formats.append(1 if packing else 0)
n = len(params)
values = (c_char_p * n)(*params)
res = lib.PQexecParams(conn, sys.argv[2].encode(), n, (ctypes.c_uint * n)(*types), values,
                       (c_int * n)(*lengths), (c_int * n)(*formats), 0)
status = lib.PQresultStatus(res)
if status not in (1, 2):  # PGRES_COMMAND_OK, PGRES_TUPLES_OK
    sys.stderr.write(lib.PQresultErrorMessage(res).decode()); sys.exit(1)
for r in range(lib.PQntuples(res)):
    print("\t".join("" if lib.PQgetisnull(res, r, c) else lib.PQgetvalue(res, r, c).decode() for c in range(lib.PQnfields(res))))
lib.PQclear(res); lib.PQfinish(conn)
