// A Toffoli whose two controls sit on one QPU and whose target sits on the other.
OPENQASM 3.0;
include "stdgates.inc";
qubit[4] q;
h q[0];
h q[1];
ccx q[0], q[1], q[2];
cx q[2], q[3];
