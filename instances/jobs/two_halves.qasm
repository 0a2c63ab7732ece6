// Two 4-qubit halves that never interact: even qubits {0,2,4,6} and odd qubits {1,3,5,7}.
// Contiguous blocks {0..3} and {4..7} cut both halves; the graph placement cuts none.
OPENQASM 2.0;
include "qelib1.inc";
qreg q[8];
h q[0];
h q[1];
cx q[0], q[2];
cx q[1], q[3];
cx q[2], q[4];
cx q[3], q[5];
cx q[4], q[6];
cx q[5], q[7];
cz q[6], q[0];
cp(0.25) q[7], q[1];
rzz(0.5) q[2], q[6];
swap q[3], q[7];
