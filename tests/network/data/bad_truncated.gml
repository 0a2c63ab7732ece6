graph [
  node [ id 0 label "A" ]
  edge [ source 0 target 7 ]
