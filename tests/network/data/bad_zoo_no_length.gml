# An edge without dist or length between nodes without positions: refused.
graph [
  node [ id 0 label "A" lat 52.0 lon 4.0 ]
  node [ id 1 label "B" ]
  node [ id 2 label "C" lat 51.0 lon 5.0 ]
  edge [ source 0 target 2 dist 120.0 ]
  edge [ source 0 target 1 ]
]
