/*
 * posix-diff (mathlib): libm with every bit printed (%a and %.17g), so a
 * wrong x87/SSE state or a rounding mode left changed anywhere shows;
 * the floating-point environment (fenv) and its exceptions; NaN and
 * infinity classes; integer overflow checks of the compiler builtins.
 */
#include <fenv.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static void show(const char *what, double v)
{
	printf("%-10s %.17g %a\n", what, v, v);
}

int main(void)
{
	volatile double x = 0.7, y = 2.5, big = 1e308, tiny = 1e-310;

	show("sqrt", sqrt(x));
	show("exp", exp(y));
	show("log", log(y));
	show("log10", log10(1234.5));
	show("log2", log2(x));
	show("sin", sin(y));
	show("cos", cos(y));
	show("tan", tan(x));
	show("atan2", atan2(-x, y));
	show("asin", asin(x));
	show("sinh", sinh(x));
	show("tanh", tanh(y));
	show("pow", pow(y, x));
	show("cbrt", cbrt(-y));
	show("hypot", hypot(3.0, 4.0 + x));
	show("fmod", fmod(7.5, y - 0.3));
	show("remainder", remainder(7.5, 2.0));
	show("fma", fma(x, y, 1.0 / 3.0));
	show("erf", erf(x));
	show("lgamma", lgamma(y));
	show("tgamma", tgamma(y));
	show("expm1", expm1(1e-10));
	show("log1p", log1p(1e-10));
	show("nextafter", nextafter(1.0, 2.0));
	show("ldexp", ldexp(x, -1074 + 3));
	int e;
	double m = frexp(1234.5, &e);
	printf("frexp      %.17g %d\n", m, e);
	printf("rounding   %g %g %g %g %ld %g\n", floor(-y), ceil(-y), round(y), trunc(-y),
	       lrint(y), rint(3.5));
	printf("float      %.9g %a %.9g\n", sqrtf((float)x), expf(1.5f), powf(2.0f, 0.5f));
	printf("long dbl   %.21Lg\n", sqrtl(2.0L));
	printf("classes    %d %d %d %d %d\n", fpclassify(tiny) == FP_SUBNORMAL, isinf(big * 10),
	       isnan(sqrt(-x)), signbit(-0.0) != 0, fpclassify(0.0) == FP_ZERO);
	printf("limits     %a %a %d %d\n", DBL_MAX, DBL_EPSILON, DBL_DIG, FLT_MANT_DIG);

	feclearexcept(FE_ALL_EXCEPT);
	volatile double z = 1.0 / (x - x);
	printf("1/0: %g divbyzero %d\n", z, fetestexcept(FE_DIVBYZERO) != 0);
	feclearexcept(FE_ALL_EXCEPT);
	z = big * 10;
	printf("overflow %d inexact %d\n", fetestexcept(FE_OVERFLOW) != 0, fetestexcept(FE_INEXACT) != 0);
	feclearexcept(FE_ALL_EXCEPT);
	z = sqrt(-1.0 * x);
	printf("sqrt(-x): invalid %d\n", fetestexcept(FE_INVALID) != 0);
	printf("rounding mode to nearest: %d\n", fegetround() == FE_TONEAREST);
	/* Computed under each mode, printed under the default one. */
	fesetround(FE_UPWARD);
	volatile double up_r = rint(2.1), up_d = 1.0 / (3.0 + x - x);
	fesetround(FE_DOWNWARD);
	volatile double down_r = rint(2.9), down_d = 1.0 / (3.0 + x - x);
	fesetround(FE_TONEAREST);
	printf("upward: rint(2.1) %g, 1/3 %a\n", up_r, up_d);
	printf("downward: rint(2.9) %g, 1/3 %a\n", down_r, down_d);

	long r;
	int ov = __builtin_mul_overflow(0x7fffffffffffffffL, 2L, &r);
	printf("mul overflow: %d, div of INT_MIN by 7: %d\n", ov, (-2147483647 - 1) / 7);
	printf("strtod of %.17g round trips: %d\n", 0.1, strtod("0.1", NULL) == 0.1);
	return 0;
}
