%define api.pure full
%{
int yylex(void *lval);
static void yyerror(const char *m) { (void)m; }
%}
%token X
%%
top: %empty ;
%%
