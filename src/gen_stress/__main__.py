from gen_stress.cli import main

main()
